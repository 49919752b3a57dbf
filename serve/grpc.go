package serve

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/encoding/gzip" // compressed messages, as tritonclient's compression_algorithm sends
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/fluxcore/fluxcore/internal/float32le"
	pb "github.com/fluxcore/fluxcore/serve/inferencepb"
)

// NewGRPCServer is a gRPC server of the protocol's inference.GRPCInferenceService, with
// grpc.health.v1 (following readiness) and server reflection, so that grpcurl works without
// the .proto. Its messages may be as large as --max-request-bytes.
func (s *Server) NewGRPCServer() *grpc.Server {
	g := grpc.NewServer(grpc.MaxRecvMsgSize(int(s.opts.MaxRequestBytes)), grpc.MaxSendMsgSize(math.MaxInt32),
		grpc.MaxConcurrentStreams(maxStreamsPerConn),
		// Fixed windows, without grpc-go's growth to 16 MiB: a call's unread message holds
		// at most this much until its handler has room to read it.
		grpc.InitialWindowSize(streamWindowBytes), grpc.InitialConnWindowSize(connWindowBytes),
		grpc.InTapHandle(readContexts))
	svc := &grpcService{s: s}
	g.RegisterService(inferServiceDesc(svc), svc)
	s.health = health.NewServer()
	healthpb.RegisterHealthServer(g, s.health)
	reflection.Register(g)
	s.SetReady(s.Ready()) // publish the current state to the health service
	return g
}

const (
	// maxStreamsPerConn bounds the calls one connection has open at once, and with
	// streamWindowBytes what their unread messages hold: 8 MiB a connection.
	maxStreamsPerConn = 128
	streamWindowBytes = 64 << 10 // HTTP/2's default, and grpc-go's least
	connWindowBytes   = 1 << 20
)

// inferServiceDesc is the generated service with ModelInfer served as a stream, which
// reads its one message itself once the in-flight budget has room (modelInferStream). The
// wire is the same as a unary call's, so clients see no difference.
func inferServiceDesc(g *grpcService) *grpc.ServiceDesc {
	desc := pb.GRPCInferenceService_ServiceDesc
	desc.Methods = slices.DeleteFunc(slices.Clone(desc.Methods), func(m grpc.MethodDesc) bool { return m.MethodName == "ModelInfer" })
	desc.Streams = append(slices.Clone(desc.Streams), grpc.StreamDesc{StreamName: "ModelInfer", Handler: g.modelInferStream})
	return &desc
}

// modelInferStream serves a ModelInfer call: it waits until the in-flight budget holds
// what the largest message and its tensors may need, reads the message, keeps what this one
// needs while it is served, and answers.
func (g *grpcService) modelInferStream(_ any, stream grpc.ServerStream) error {
	ctx := stream.Context()
	held := 3 * g.s.opts.MaxRequestBytes // the message, and the tensors made from it
	if err := g.s.inflight.charge(ctx, held); err != nil {
		return grpcError(err)
	}
	defer func() { g.s.inflight.release(held) }()
	req := new(pb.ModelInferRequest)
	// A client that sends its message slower than ReadTimeout holds the budget no longer:
	// grpc-go answers DEADLINE_EXCEEDED.
	disarm := armRead(ctx, g.s.opts.ReadTimeout)
	err := stream.RecvMsg(req)
	if disarm() && err == nil { // the message came as the deadline passed: the call is over all the same
		return status.Errorf(codes.DeadlineExceeded, "ModelInfer: the request message took %v or more (--read-timeout)", g.s.opts.ReadTimeout)
	}
	if err != nil {
		return err // a status already, grpc-go's as for a unary call (a call of no message is Internal)
	}
	need := min(3*int64(proto.Size(req)), held) // a decoded message re-encodes no larger than it came
	g.s.inflight.release(held - need)
	held = need
	resp, err := g.ModelInfer(ctx, req)
	if err != nil {
		return err
	}
	return stream.SendMsg(resp)
}

type grpcService struct {
	pb.UnimplementedGRPCInferenceServiceServer
	s *Server
}

// grpcError maps the server's errors to the protocol's status codes.
func grpcError(err error) error {
	code := codes.Internal
	switch {
	case errors.Is(err, ErrBadRequest):
		code = codes.InvalidArgument
	case errors.Is(err, ErrNotFound):
		code = codes.NotFound
	case errors.Is(err, ErrUnavailable):
		code = codes.Unavailable
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	}
	return status.Error(code, err.Error())
}

func (g *grpcService) ServerLive(context.Context, *pb.ServerLiveRequest) (*pb.ServerLiveResponse, error) {
	return &pb.ServerLiveResponse{Live: true}, nil
}

func (g *grpcService) ServerReady(context.Context, *pb.ServerReadyRequest) (*pb.ServerReadyResponse, error) {
	return &pb.ServerReadyResponse{Ready: g.s.Ready()}, nil
}

func (g *grpcService) ModelReady(_ context.Context, req *pb.ModelReadyRequest) (*pb.ModelReadyResponse, error) {
	if _, err := g.s.Model(req.GetName(), req.GetVersion()); err != nil {
		return nil, grpcError(err)
	}
	return &pb.ModelReadyResponse{Ready: g.s.Ready()}, nil
}

func (g *grpcService) ServerMetadata(context.Context, *pb.ServerMetadataRequest) (*pb.ServerMetadataResponse, error) {
	md := g.s.ServerMetadata()
	return &pb.ServerMetadataResponse{Name: md.Name, Version: md.Version, Extensions: md.Extensions}, nil
}

func (g *grpcService) ModelMetadata(_ context.Context, req *pb.ModelMetadataRequest) (*pb.ModelMetadataResponse, error) {
	m, err := g.s.Model(req.GetName(), req.GetVersion())
	if err != nil {
		return nil, grpcError(err)
	}
	md := m.Metadata()
	specs := func(in []TensorSpec) []*pb.ModelMetadataResponse_TensorMetadata {
		out := make([]*pb.ModelMetadataResponse_TensorMetadata, len(in))
		for i, t := range in {
			out[i] = &pb.ModelMetadataResponse_TensorMetadata{Name: t.Name, Datatype: t.Datatype, Shape: t.Shape}
		}
		return out
	}
	return &pb.ModelMetadataResponse{Name: md.Name, Versions: md.Versions, Platform: md.Platform,
		Inputs: specs(md.Inputs), Outputs: specs(md.Outputs)}, nil
}

// ModelInfer runs a request whose inputs come as raw_input_contents (what tritonclient
// sends) or as typed fp32_contents (KServe's clients, grpcurl), and answers in kind. The
// call's deadline or cancellation takes the request off the queue.
func (g *grpcService) ModelInfer(ctx context.Context, req *pb.ModelInferRequest) (*pb.ModelInferResponse, error) {
	m, err := g.s.Model(req.GetModelName(), req.GetModelVersion())
	if err != nil {
		return nil, grpcError(err)
	}
	in, err := decodeGRPC(req)
	if err != nil {
		return nil, grpcError(err)
	}
	resp, err := m.Infer(ctx, in)
	if err != nil {
		return nil, grpcError(err)
	}
	out := &pb.ModelInferResponse{ModelName: resp.Model, ModelVersion: resp.Version, Id: req.GetId()}
	for _, t := range resp.Outputs {
		shape := make([]int64, len(t.Shape))
		for i, d := range t.Shape {
			shape[i] = int64(d)
		}
		o := &pb.ModelInferResponse_InferOutputTensor{Name: t.Name, Datatype: t.Datatype, Shape: shape}
		if len(req.GetRawInputContents()) > 0 {
			out.RawOutputContents = append(out.RawOutputContents, float32le.Bytes(t.F32))
		} else {
			o.Contents = &pb.InferTensorContents{Fp32Contents: t.F32}
		}
		out.Outputs = append(out.Outputs, o)
	}
	return out, nil
}

// decodeGRPC checks each input's datatype, shape and data length.
func decodeGRPC(req *pb.ModelInferRequest) (*Request, error) {
	raw := req.GetRawInputContents()
	if len(raw) > 0 && len(raw) != len(req.GetInputs()) {
		return nil, fmt.Errorf("%w: %d raw_input_contents for %d inputs", ErrBadRequest, len(raw), len(req.GetInputs()))
	}
	out := &Request{ID: req.GetId()}
	for i, t := range req.GetInputs() {
		if t.GetDatatype() != "FP32" {
			return nil, fmt.Errorf("%w: input %q has datatype %q, want FP32", ErrBadRequest, t.GetName(), t.GetDatatype())
		}
		shape, n, err := tensorShape(t.GetName(), t.GetShape())
		if err != nil {
			return nil, err
		}
		tensor := Tensor{Name: t.GetName(), Datatype: "FP32", Shape: shape}
		switch {
		case len(raw) > 0 && t.GetContents() != nil:
			return nil, fmt.Errorf("%w: input %q has contents as well as raw_input_contents", ErrBadRequest, t.GetName())
		case len(raw) > 0 && len(raw[i]) != 4*n:
			return nil, fmt.Errorf("%w: input %q: %d raw bytes, shape %v of FP32 is %d", ErrBadRequest, t.GetName(), len(raw[i]), t.GetShape(), 4*n)
		case len(raw) > 0:
			tensor.F32 = float32le.Floats(raw[i])
		case len(t.GetContents().GetFp32Contents()) != n:
			return nil, fmt.Errorf("%w: input %q: %d fp32_contents, shape %v holds %d", ErrBadRequest, t.GetName(),
				len(t.GetContents().GetFp32Contents()), t.GetShape(), n)
		default:
			tensor.F32 = t.GetContents().GetFp32Contents()
		}
		out.Inputs = append(out.Inputs, tensor)
	}
	for _, o := range req.GetOutputs() {
		out.Outputs = append(out.Outputs, o.GetName())
	}
	return out, nil
}
