"""Data sets more than one problem trains on (MNIST: the MNIST lab and "Which way is up?")."""
