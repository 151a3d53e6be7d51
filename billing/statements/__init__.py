"""Bank statement parsers behind one interface (issue 9 item 3): each turns a file's bytes into the
same `ParsedStatement`; `detect` says which format a file is from its content, `parse` reads it."""
