"""Web views of the organisation package."""
