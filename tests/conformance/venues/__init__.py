"""One module per broker: builds its engine against a local venue and that venue's controls."""
