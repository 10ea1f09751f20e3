"""Tests against a real Keycloak, cached in the user cache and reached through a cuttable proxy."""
