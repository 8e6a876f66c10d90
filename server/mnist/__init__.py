"""The MNIST lab: the "92% to 99.3%" ladder of models, trained live on handwritten digits."""
