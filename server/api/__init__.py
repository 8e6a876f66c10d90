"""HTTP blueprints, one per concern: catalogue, runs (with streams and exports), pages."""
