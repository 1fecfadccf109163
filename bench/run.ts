// placeholder so lint has a target
