//go:build cuda

package cuda

import "fmt"

// formatVersion turns the driver's 1000·major + 10·minor into "major.minor".
func formatVersion(v int) string { return fmt.Sprintf("%d.%d", v/1000, v%1000/10) }
