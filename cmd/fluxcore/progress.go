package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/fluxcore/fluxcore/batch"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progressLogEvery is how often progress is logged when stderr is not a terminal (a Slurm
// log file, a pod's log).
const progressLogEvery = 5 * time.Second

// progress shows a shard's progress: a bar with samples/s and the time left on a terminal
// (schollz/progressbar: maintained, and small: x/term, uniseg, colorstring), else a log line every
// few seconds.
type progress struct {
	w       io.Writer
	label   string
	bar     *progressbar.ProgressBar
	start   time.Time
	lastLog time.Time
	skipped int
	started bool
	last    batch.Progress
}

func newProgress(stderr io.Writer, label string) *progress {
	p := &progress{w: stderr, label: label, start: time.Now()}
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions(1, progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription(label),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("samples"),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish())
	}
	return p
}

func (p *progress) update(b batch.Progress) {
	if !p.started { // the first report: what an earlier run did
		p.started = true
		p.skipped = b.SkippedSamples
		p.lastLog = time.Now()
		if p.bar != nil {
			p.bar.ChangeMax(b.Samples)
		}
		fmt.Fprintf(p.w, "fluxcore batch: %s: %d chunks, %d samples; %d chunks done before\n", p.label, b.Chunks, b.Samples, b.SkippedChunks)
	}
	p.last = b
	if p.bar != nil {
		p.bar.Set(b.SamplesDone)
		return
	}
	if time.Since(p.lastLog) >= progressLogEvery {
		p.log()
	}
}

// log writes one line: chunks and samples done, the rate this run, and the time left.
func (p *progress) log() {
	b := p.last
	p.lastLog = time.Now()
	elapsed := time.Since(p.start).Seconds()
	rate := float64(b.SamplesDone-p.skipped) / elapsed
	eta := "unknown"
	if rate > 0 {
		eta = time.Duration(float64(b.Samples-b.SamplesDone) / rate * float64(time.Second)).Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "fluxcore batch: %s: %d/%d chunks, %d/%d samples, %.0f samples/s, %s left\n",
		p.label, b.ChunksDone, b.Chunks, b.SamplesDone, b.Samples, rate, eta)
}

func (p *progress) finish() {
	if p.bar != nil {
		p.bar.Finish()
	}
}
