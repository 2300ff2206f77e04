"""Knowledge-base index: load Markdown articles, chunk, embed, store in FAISS, search."""
