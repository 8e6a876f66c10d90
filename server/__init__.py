"""tf-playground's server: data sets, Keras models, the training engine, runs and their streams."""
