"""A featcmp plugin: block means -> SVM, and generated stripe images."""
