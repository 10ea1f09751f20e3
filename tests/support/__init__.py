"""Helpers the tests share: starting real servers on loopback, building gateways."""
