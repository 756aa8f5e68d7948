"""Web views of the courseware package."""
