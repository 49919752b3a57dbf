package serve

import (
	"context"
	"encoding/binary"
	"math"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding/gzip"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	"github.com/fluxcore/fluxcore/internal/float32le"
	pb "github.com/fluxcore/fluxcore/serve/inferencepb"
)

// grpcClient serves s over gRPC on a loopback port and dials it.
func grpcClient(t *testing.T, s *Server) *grpc.ClientConn {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := s.NewGRPCServer()
	go g.Serve(lis)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		g.Stop()
	})
	return conn
}

func rawFloats(b []byte) []float32 {
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// ModelInfer answers raw inputs with raw outputs (tritonclient's form) and typed contents
// (here gzip-compressed) with typed contents, both equal to the offline run; metadata and
// readiness answer too.
func TestGRPCInfer(t *testing.T) {
	s, _ := newTestServer(t, Options{}, nil)
	client := pb.NewGRPCInferenceServiceClient(grpcClient(t, s))
	ctx := context.Background()
	in := readGolden(t, "fno1d", "input")
	ref := offline(t, "fno1d", in.Data, 3, nil)
	tensor := &pb.ModelInferRequest_InferInputTensor{Name: "input", Datatype: "FP32", Shape: []int64{3, 64, 1}}

	raw, err := client.ModelInfer(ctx, &pb.ModelInferRequest{ModelName: "fno1d", Id: "g1",
		Inputs: []*pb.ModelInferRequest_InferInputTensor{tensor}, RawInputContents: [][]byte{float32le.Bytes(in.Data)}})
	if err != nil {
		t.Fatal(err)
	}
	if raw.GetId() != "g1" || len(raw.GetRawOutputContents()) != 1 || !slices.Equal(rawFloats(raw.GetRawOutputContents()[0]), ref) {
		t.Errorf("raw infer: id %q, %d raw outputs, equal to offline: %v", raw.GetId(), len(raw.GetRawOutputContents()),
			len(raw.GetRawOutputContents()) == 1 && slices.Equal(rawFloats(raw.GetRawOutputContents()[0]), ref))
	}
	typed := &pb.ModelInferRequest_InferInputTensor{Name: "input", Datatype: "FP32", Shape: []int64{3, 64, 1},
		Contents: &pb.InferTensorContents{Fp32Contents: in.Data}}
	resp, err := client.ModelInfer(ctx, &pb.ModelInferRequest{ModelName: "fno1d", ModelVersion: "1",
		Inputs: []*pb.ModelInferRequest_InferInputTensor{typed}}, grpc.UseCompressor(gzip.Name))
	if err != nil {
		t.Fatal(err)
	}
	if out := resp.GetOutputs()[0]; !slices.Equal(out.GetContents().GetFp32Contents(), ref) || !slices.Equal(out.GetShape(), []int64{3, 64, 1}) {
		t.Errorf("typed infer: shape %v, equal to offline: %v", out.GetShape(), slices.Equal(out.GetContents().GetFp32Contents(), ref))
	}
	md, err := client.ModelMetadata(ctx, &pb.ModelMetadataRequest{Name: "boon1d"})
	if err != nil || md.GetPlatform() != Platform || len(md.GetInputs()) != 3 || md.GetInputs()[1].GetName() != "left" {
		t.Errorf("model metadata: %v, %v", md, err)
	}
	if r, err := client.ServerReady(ctx, &pb.ServerReadyRequest{}); err != nil || !r.GetReady() {
		t.Errorf("server ready: %v, %v", r, err)
	}
	if sm, err := client.ServerMetadata(ctx, &pb.ServerMetadataRequest{}); err != nil || !slices.Contains(sm.GetExtensions(), "binary_tensor_data") {
		t.Errorf("server metadata: %v, %v", sm, err)
	}
}

// Errors carry the protocol's status codes.
func TestGRPCErrors(t *testing.T) {
	s, _ := newTestServer(t, Options{MaxRequestBytes: 4 << 10}, nil)
	conn := grpcClient(t, s)
	client := pb.NewGRPCInferenceServiceClient(conn)
	ctx := context.Background()
	input := func(datatype string, shape ...int64) *pb.ModelInferRequest_InferInputTensor {
		return &pb.ModelInferRequest_InferInputTensor{Name: "input", Datatype: datatype, Shape: shape}
	}
	for _, c := range []struct {
		name string
		req  *pb.ModelInferRequest
		code codes.Code
	}{
		{"unknown model", &pb.ModelInferRequest{ModelName: "nope"}, codes.NotFound},
		{"unknown version", &pb.ModelInferRequest{ModelName: "fno1d", ModelVersion: "3"}, codes.NotFound},
		{"datatype", &pb.ModelInferRequest{ModelName: "fno1d", Inputs: []*pb.ModelInferRequest_InferInputTensor{input("INT32", 1, 8, 1)}}, codes.InvalidArgument},
		{"raw count", &pb.ModelInferRequest{ModelName: "fno1d", Inputs: []*pb.ModelInferRequest_InferInputTensor{input("FP32", 1, 8, 1)},
			RawInputContents: [][]byte{make([]byte, 32), make([]byte, 4)}}, codes.InvalidArgument},
		{"raw size", &pb.ModelInferRequest{ModelName: "fno1d", Inputs: []*pb.ModelInferRequest_InferInputTensor{input("FP32", 1, 8, 1)},
			RawInputContents: [][]byte{make([]byte, 31)}}, codes.InvalidArgument},
		{"too large", &pb.ModelInferRequest{ModelName: "fno1d", Inputs: []*pb.ModelInferRequest_InferInputTensor{input("FP32", 1, 2048, 1)},
			RawInputContents: [][]byte{make([]byte, 8192)}}, codes.ResourceExhausted},
	} {
		_, err := client.ModelInfer(ctx, c.req)
		if status.Code(err) != c.code {
			t.Errorf("%s: %v, want %v", c.name, err, c.code)
		}
	}
	short, cancel := context.WithTimeout(ctx, time.Nanosecond)
	defer cancel()
	if _, err := client.ModelInfer(short, &pb.ModelInferRequest{ModelName: "fno1d"}); status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("expired deadline: %v", err)
	}
	// A call that sends no message is refused as grpc-go refuses it for a unary method,
	// although ModelInfer is served as a stream.
	stream, err := conn.NewStream(ctx, &grpc.StreamDesc{}, pb.GRPCInferenceService_ModelInfer_FullMethodName)
	if err != nil {
		t.Fatal(err)
	}
	stream.CloseSend()
	if err := stream.RecvMsg(new(pb.ModelInferResponse)); status.Code(err) != codes.Internal || !strings.Contains(err.Error(), "no request message") {
		t.Errorf("a call without a message: %v", err)
	}
}

// grpc.health.v1 follows readiness, and reflection lists the inference service.
func TestGRPCHealthAndReflection(t *testing.T) {
	s, _ := newTestServer(t, Options{}, nil)
	conn := grpcClient(t, s)
	ctx := context.Background()
	hc := healthpb.NewHealthClient(conn)
	if r, err := hc.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil || r.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("health: %v, %v", r, err)
	}
	s.SetReady(false)
	if r, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: "inference.GRPCInferenceService"}); err != nil || r.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("health while draining: %v, %v", r, err)
	}
	stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, svc := range resp.GetListServicesResponse().GetService() {
		names = append(names, svc.GetName())
	}
	if !slices.Contains(names, "inference.GRPCInferenceService") || !slices.Contains(names, "grpc.health.v1.Health") {
		t.Errorf("reflection lists %v", names)
	}
}

// Requests being read and decoded are bounded all together: past --max-inflight-bytes a
// REST request is refused with 503 before its body is read, and a gRPC call waits, its
// message unread, until there is room for the largest message; both are served once room
// is back, and every byte is given back.
func TestInflightBytesAreBounded(t *testing.T) {
	const maxRequest = 64 << 10
	s, hs := newTestServer(t, Options{MaxRequestBytes: maxRequest, MaxInflightBytes: 4 * maxRequest}, nil)
	client := pb.NewGRPCInferenceServiceClient(grpcClient(t, s))
	body := map[string]any{"inputs": []any{map[string]any{"name": "input", "datatype": "FP32", "shape": []int{1, 64, 1}, "data": make([]float32, 64)}}}
	held := int64(4*maxRequest - 100) // other requests, being read
	if err := s.inflight.tryCharge(held); err != nil {
		t.Fatal(err)
	}
	code, resp := postJSON(t, hs.URL+"/v2/models/fno1d/infer", body)
	if code != 503 || !strings.Contains(resp["error"].(string), "of --max-inflight-bytes 262144") {
		t.Errorf("REST over the in-flight bound: %d %v", code, resp)
	}
	req := &pb.ModelInferRequest{ModelName: "fno1d", Inputs: []*pb.ModelInferRequest_InferInputTensor{
		{Name: "input", Datatype: "FP32", Shape: []int64{1, 64, 1}}}, RawInputContents: [][]byte{make([]byte, 256)}}
	short, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := client.ModelInfer(short, req); status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("gRPC over the in-flight bound: %v, want it to wait until its deadline", err)
	}
	waited := make(chan error, 1)
	go func() {
		_, err := client.ModelInfer(context.Background(), req)
		waited <- err
	}()
	select {
	case err := <-waited:
		t.Fatalf("gRPC call answered while the bound was full: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	s.inflight.release(held)
	if err := <-waited; err != nil {
		t.Errorf("gRPC call after the others finished: %v", err)
	}
	if code, resp := postJSON(t, hs.URL+"/v2/models/fno1d/infer", body); code != 200 {
		t.Errorf("REST after the others finished: %d %v", code, resp)
	}
	if used := s.inflight.Used(); used != 0 {
		t.Errorf("%d bytes still charged after the requests", used)
	}
	if _, err := New(context.Background(), s.engine, Options{ModelDir: t.TempDir(), MaxRequestBytes: 1 << 20, MaxInflightBytes: 2 << 20}); err == nil ||
		!strings.Contains(err.Error(), "want at least 3 × the max request bytes") {
		t.Errorf("an in-flight bound below 3 requests: %v", err)
	}
}

// A gRPC call whose message does not arrive within the read timeout is cut off, and gives
// back the in-flight bytes it held for the message, so that a slow sender cannot hold them.
func TestGRPCReadTimeout(t *testing.T) {
	s, _ := newTestServer(t, Options{MaxRequestBytes: 64 << 10, ReadTimeout: 200 * time.Millisecond}, nil)
	conn := grpcClient(t, s)
	stream, err := conn.NewStream(context.Background(), &grpc.StreamDesc{ClientStreams: true}, pb.GRPCInferenceService_ModelInfer_FullMethodName)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = stream.RecvMsg(new(pb.ModelInferResponse)) // the message is never sent
	if status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("a call that sends no message: %v", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("cut off after %v, want about 200ms", took)
	}
	if used := s.inflight.Used(); used != 0 {
		t.Errorf("%d bytes still charged after the call was cut off", used)
	}
	client := pb.NewGRPCInferenceServiceClient(conn)
	_, err = client.ModelInfer(context.Background(), &pb.ModelInferRequest{ModelName: "fno1d", Inputs: []*pb.ModelInferRequest_InferInputTensor{
		{Name: "input", Datatype: "FP32", Shape: []int64{1, 64, 1}}}, RawInputContents: [][]byte{make([]byte, 256)}})
	if err != nil {
		t.Errorf("a prompt call after it: %v", err)
	}
}
