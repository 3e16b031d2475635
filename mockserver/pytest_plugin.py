"""pytest plugin for clarifai-mockserver (fixtures arrive with the plugin issue)."""
