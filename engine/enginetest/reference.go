package enginetest

// mixReference is the channel mixing out[b,o,k] = Σ_i in[b,i,k]·w[i,o,k], written plainly in
// float64 from the definition and sharing no code with any backend.
func mixReference(in, w []complex64, batch, nIn, nOut, modes int) []complex128 {
	out := make([]complex128, batch*nOut*modes)
	for b := range batch {
		for o := range nOut {
			for k := range modes {
				var acc complex128
				for i := range nIn {
					acc += complex128(in[(b*nIn+i)*modes+k]) * complex128(w[(i*nOut+o)*modes+k])
				}
				out[(b*nOut+o)*modes+k] = acc
			}
		}
	}
	return out
}
