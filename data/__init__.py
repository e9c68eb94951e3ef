"""Tables, the store and the domain operations: the only code that writes the database."""
