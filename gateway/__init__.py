"""The service: settings, app factory, CLI, authentication, middlewares and health."""
