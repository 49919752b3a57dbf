module github.com/fluxcore/fluxcore

go 1.26

require (
	github.com/klauspost/cpuid/v2 v2.4.2
	github.com/mumax/3 v0.0.0-20261020084628-54efa12420b2
	gonum.org/v1/gonum v0.17.0
)

require golang.org/x/sys v0.41.0 // indirect
