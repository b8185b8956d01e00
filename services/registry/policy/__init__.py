"""The policy packs as published: what a unit under each pack must do, with the articles."""
