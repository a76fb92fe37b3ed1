"""The rule book: rule files, their evidence, distillers, the dream cycle, review, explain."""
