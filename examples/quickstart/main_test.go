package main

// Example runs the quick start, so that the README's snippet keeps working.
func Example() {
	main()
	// Output:
	// alice's live sessions: 1
	// revoked: 1
}
