package engine

// Route exposes route to the external tests, which run the conformance suite through it.
var Route = route
