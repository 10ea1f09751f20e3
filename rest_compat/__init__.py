"""The legacy REST door (docs/contract.md#rest-contracts): three JSON contracts mapped onto the
same use cases."""
