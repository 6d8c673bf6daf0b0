// Placeholder for the storage crash probe; replaced by the storage tests' helper process.
print("storage probe")
