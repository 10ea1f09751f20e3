"""The GraphQL door (SPEC section 6): schema, types, selection -> field set, view, errors."""
