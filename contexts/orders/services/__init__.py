"""Writes of the orders context: carts, checkout, payment outcomes, fulfilment, returns."""
