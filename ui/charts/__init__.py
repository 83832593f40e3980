"""Pure chart builders: a DataFrame in, an Altair chart or a pydeck Deck out. No queries here."""
