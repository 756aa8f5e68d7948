"""Use cases of the organisation package. Each public function owns its transaction."""
