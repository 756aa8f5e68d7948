"""The home page per role (layer L3): what each user has to do next."""
