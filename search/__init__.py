"""Search: the decision store and hybrid (lexical + dense) retrieval of similar past decisions."""
