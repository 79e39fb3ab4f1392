"""The brief domain: evidence for a decision, lenses, functions and the writers that turn it into a brief."""
