// Command grpcflood sends CALLS gRPC ModelInfer calls at once, each carrying a raw input of
// MIB MiB, over one connection, and prints how they were answered. bench/serve_flood.sh
// runs it against `fluxcore serve` to read the server's peak memory: the bound on the
// messages being read, --max-inflight-bytes, must hold whatever the clients send.
//
//	grpcflood HOST:PORT MODEL CALLS MIB
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	pb "github.com/fluxcore/fluxcore/serve/inferencepb"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "grpcflood:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 4 {
		return fmt.Errorf("usage: grpcflood HOST:PORT MODEL CALLS MIB")
	}
	calls, err := strconv.Atoi(args[2])
	if err != nil || calls < 1 {
		return fmt.Errorf("CALLS %q, want a positive count", args[2])
	}
	mib, err := strconv.Atoi(args[3])
	if err != nil || mib < 1 || mib > 1024 {
		return fmt.Errorf("MIB %q, want 1..1024", args[3])
	}
	conn, err := grpc.NewClient(args[0], grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallSendMsgSize(2<<30)))
	if err != nil {
		return err
	}
	defer conn.Close()
	client := pb.NewGRPCInferenceServiceClient(conn)
	// A shape that the data does not fill: the server reads the whole message, then refuses it.
	req := &pb.ModelInferRequest{ModelName: args[1], RawInputContents: [][]byte{make([]byte, mib<<20)},
		Inputs: []*pb.ModelInferRequest_InferInputTensor{{Name: "input", Datatype: "FP32", Shape: []int64{1, 1, 1}}}}
	var mu sync.Mutex
	answers := map[codes.Code]int{}
	var wg sync.WaitGroup
	for range calls {
		wg.Go(func() {
			_, err := client.ModelInfer(context.Background(), req)
			mu.Lock()
			answers[status.Code(err)]++
			mu.Unlock()
		})
	}
	wg.Wait()
	fmt.Printf("%d calls of %d MiB answered: %v\n", calls, mib, answers)
	return nil
}
