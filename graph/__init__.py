"""The GraphQL door (docs/contract.md#graphql): schema, types, selection -> field set, view,
errors."""
