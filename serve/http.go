package serve

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// NewHTTPServer is an HTTP server of HTTPHandler whose clients must send a request within
// ReadTimeout (its headers within 10 s) and whose idle connections close after 2 minutes.
func (s *Server) NewHTTPServer() *http.Server {
	return &http.Server{Handler: s.HTTPHandler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: s.opts.ReadTimeout,
		IdleTimeout: 2 * time.Minute}
}

// HTTPHandler serves the protocol's REST endpoints, each model route also under
// /versions/{version}.
func (s *Server) HTTPHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v2/health/live", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("GET /v2/health/ready", func(w http.ResponseWriter, r *http.Request) {
		if !s.Ready() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("GET /v2", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, s.ServerMetadata()) })
	for _, prefix := range []string{"/v2/models/{name}", "/v2/models/{name}/versions/{version}"} {
		mux.HandleFunc("GET "+prefix, s.withModel(s.modelMetadata))
		mux.HandleFunc("GET "+prefix+"/ready", s.withModel(s.modelReady))
		mux.HandleFunc("GET "+prefix+"/config", s.withModel(s.modelConfig))
		mux.HandleFunc("POST "+prefix+"/infer", s.withModel(s.infer))
	}
	if s.opts.AllowModelControl {
		mux.HandleFunc("POST /v2/repository/index", s.repositoryIndex)
		mux.HandleFunc("POST /v2/repository/models/{name}/load", s.repositoryLoad)
		mux.HandleFunc("POST /v2/repository/models/{name}/unload", s.repositoryUnload)
	}
	return mux
}

// MetricsHandler serves the Prometheus metrics: the server's registry, or the default one
// when Options.Registerer was given.
func (s *Server) MetricsHandler() http.Handler {
	if s.Registry == nil {
		return promhttp.Handler()
	}
	return promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{})
}

// withModel resolves {name} and {version} to a model, or answers 404.
func (s *Server) withModel(h func(http.ResponseWriter, *http.Request, *Model)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		m, err := s.Model(r.PathValue("name"), r.PathValue("version"))
		if err != nil {
			writeError(w, err, "")
			return
		}
		h(w, r, m)
	}
}

func (s *Server) modelMetadata(w http.ResponseWriter, r *http.Request, m *Model) {
	writeJSON(w, http.StatusOK, m.Metadata())
}

func (s *Server) modelReady(w http.ResponseWriter, r *http.Request, m *Model) {
	if !s.Ready() {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (s *Server) modelConfig(w http.ResponseWriter, r *http.Request, m *Model) {
	writeJSON(w, http.StatusOK, m.TritonConfig(string(s.engine.Info().Backend), s.opts.MaxQueueDelay))
}

// infer decodes a request (checking its size before reading it), runs it through the
// model's batcher and answers in the form it asked for. It serves while readiness is off:
// a draining server finishes what its endpoints still send.
func (s *Server) infer(w http.ResponseWriter, r *http.Request, m *Model) {
	limit := s.opts.MaxRequestBytes
	if r.ContentLength > limit {
		writeError(w, fmt.Errorf("%w: the body has %d bytes, more than --max-request-bytes %d", ErrBadRequest, r.ContentLength, limit), "")
		return
	}
	// The body and the tensors decoded from it, at most twice the body (a JSON number takes
	// at least 2 bytes, a float 4), or as much for the limit when its length is not known.
	size := limit
	if r.ContentLength >= 0 && r.Header.Get("Content-Encoding") == "" {
		size = r.ContentLength
	}
	if err := s.inflight.tryCharge(3 * size); err != nil {
		writeError(w, err, "")
		return
	}
	defer s.inflight.release(3 * size)
	body, err := readBody(w, r, limit)
	if err != nil {
		writeError(w, err, "")
		return
	}
	jsonLen := -1
	if h := r.Header.Get(HeaderContentLength); h != "" {
		if jsonLen, err = strconv.Atoi(h); err != nil || jsonLen < 0 {
			writeError(w, fmt.Errorf("%w: %s %q is not a length", ErrBadRequest, HeaderContentLength, h), "")
			return
		}
	}
	req, err := decodeREST(body, jsonLen)
	if err != nil {
		id := ""
		if req != nil {
			id = req.ID
		}
		writeError(w, err, id)
		return
	}
	ctx := r.Context()
	if req.timeoutUS > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(req.timeoutUS)*time.Microsecond)
		defer cancel()
	}
	resp, err := m.Infer(ctx, &req.Request)
	if err != nil {
		writeError(w, err, req.ID)
		return
	}
	resp.ID = req.ID
	out, headLen, err := encodeREST(resp, req.binary)
	if err != nil {
		writeError(w, err, req.ID)
		return
	}
	if headLen >= 0 {
		w.Header().Set(HeaderContentLength, strconv.Itoa(headLen))
		w.Header().Set("Content-Type", "application/octet-stream")
	} else {
		w.Header().Set("Content-Type", "application/json")
	}
	writeBody(w, r, out)
}

// readBody reads a request's body, decompressing a gzip or deflate Content-Encoding (what
// tritonclient's request_compression_algorithm sends); the body and its decompressed form
// may each be at most limit bytes, checked while reading.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	var body io.Reader = http.MaxBytesReader(w, r.Body, limit)
	switch enc := strings.ToLower(r.Header.Get("Content-Encoding")); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			return nil, fmt.Errorf("%w: the gzip body: %v", ErrBadRequest, err)
		}
		body = zr
	case "deflate":
		zr, err := zlib.NewReader(body)
		if err != nil {
			return nil, fmt.Errorf("%w: the deflate body: %v", ErrBadRequest, err)
		}
		body = zr
	default:
		return nil, fmt.Errorf("%w: Content-Encoding %q, want gzip, deflate or none", ErrBadRequest, enc)
	}
	raw, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err == nil && int64(len(raw)) > limit {
		err = fmt.Errorf("it decompresses past %d bytes", limit)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: read the body (at most %d bytes, --max-request-bytes): %v", ErrBadRequest, limit, err)
	}
	return raw, nil
}

// writeBody answers 200 with out, compressed when the client accepts gzip or deflate (as
// tritonclient's response_compression_algorithm asks); the binary-data header still
// counts the uncompressed JSON.
func writeBody(w http.ResponseWriter, r *http.Request, out []byte) {
	accept := strings.ToLower(r.Header.Get("Accept-Encoding"))
	var buf bytes.Buffer
	var zw io.WriteCloser
	switch {
	case strings.Contains(accept, "gzip"):
		w.Header().Set("Content-Encoding", "gzip")
		zw = gzip.NewWriter(&buf)
	case strings.Contains(accept, "deflate"):
		w.Header().Set("Content-Encoding", "deflate")
		zw = zlib.NewWriter(&buf)
	}
	if zw != nil {
		zw.Write(out)
		zw.Close()
		out = buf.Bytes()
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(http.StatusOK)
	w.Write(out)
}

func (s *Server) repositoryIndex(w http.ResponseWriter, r *http.Request) {
	type entry struct {
		Name    string `json:"name"`
		Version string `json:"version"`
		State   string `json:"state"`
	}
	var out []entry
	for _, n := range s.Names() {
		out = append(out, entry{n, Version, "READY"})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) repositoryLoad(w http.ResponseWriter, r *http.Request) {
	if err := s.Load(r.Context(), r.PathValue("name")); err != nil {
		writeError(w, fmt.Errorf("%w: %v", ErrBadRequest, err), "")
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (s *Server) repositoryUnload(w http.ResponseWriter, r *http.Request) {
	if err := s.Unload(r.PathValue("name")); err != nil {
		writeError(w, err, "")
		return
	}
	w.WriteHeader(http.StatusOK)
}

// HTTPStatus is the REST status of an error from the server.
func HTTPStatus(err error) int {
	switch {
	case errors.Is(err, ErrBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrUnavailable), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// writeError answers {"error": "..."}, with the request's id when it had one.
func writeError(w http.ResponseWriter, err error, id string) {
	body := map[string]string{"error": err.Error()}
	if id != "" {
		body["id"] = id
	}
	writeJSON(w, HTTPStatus(err), body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	raw, err := json.Marshal(v)
	if err != nil {
		status, raw = http.StatusInternalServerError, []byte(`{"error":"encode the response"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(raw)
}
