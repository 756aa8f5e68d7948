"""Use cases of the courseware package."""
