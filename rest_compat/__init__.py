"""The legacy REST door (SPEC section 4): three JSON contracts mapped onto the same use cases."""
