// Package deploy holds the Slurm and Kubernetes examples; scripts/slurm-local.sh runs the
// Slurm one on a real Slurm. Kubernetes is not available on these machines, so this test
// checks the structure of the manifests: the fields the batch runner relies on, by the
// names of Kubernetes' batch/v1, apps/v1 and core/v1 APIs.
package deploy

import (
	"bytes"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

type object struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		// PersistentVolumeClaim
		AccessModes []string `json:"accessModes"`
		// Job
		CompletionMode       string `json:"completionMode"`
		Completions          *int   `json:"completions"`
		Parallelism          *int   `json:"parallelism"`
		BackoffLimitPerIndex *int   `json:"backoffLimitPerIndex"`
		PodFailurePolicy     *struct {
			Rules []struct {
				Action          string `json:"action"`
				OnPodConditions []struct {
					Type string `json:"type"`
				} `json:"onPodConditions"`
			} `json:"rules"`
		} `json:"podFailurePolicy"`
		Template struct {
			Spec podSpec `json:"spec"`
		} `json:"template"`
	} `json:"spec"`
}

type podSpec struct {
	RestartPolicy                 string `json:"restartPolicy"`
	TerminationGracePeriodSeconds *int   `json:"terminationGracePeriodSeconds"`
	Containers                    []struct {
		Args []string `json:"args"`
		Env  []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"env"`
		VolumeMounts []struct {
			Name      string `json:"name"`
			MountPath string `json:"mountPath"`
		} `json:"volumeMounts"`
	} `json:"containers"`
	Volumes []struct {
		Name                  string `json:"name"`
		PersistentVolumeClaim *struct {
			ClaimName string `json:"claimName"`
		} `json:"persistentVolumeClaim"`
	} `json:"volumes"`
}

func readObjects(t *testing.T, path string) []object {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []object
	for _, doc := range bytes.Split(raw, []byte("\n---\n")) {
		var o object
		if err := yaml.Unmarshal(doc, &o); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, o)
	}
	return out
}

// flagValue is the value after flag in args.
func flagValue(args []string, flag string) string {
	if i := slices.Index(args, flag); i >= 0 && i+1 < len(args) {
		return args[i+1]
	}
	return ""
}

func TestIndexedJobManifest(t *testing.T) {
	objs := readObjects(t, "k8s/fno-indexed-job.yaml")
	if len(objs) != 2 || objs[0].Kind != "PersistentVolumeClaim" || objs[1].Kind != "Job" || objs[1].APIVersion != "batch/v1" {
		t.Fatalf("want a PersistentVolumeClaim then a batch/v1 Job, got %+v", objs)
	}
	pvc, job := objs[0], objs[1]
	if !slices.Contains(pvc.Spec.AccessModes, "ReadWriteMany") {
		t.Errorf("the claim's access modes %v lack ReadWriteMany: every shard writes the same directory", pvc.Spec.AccessModes)
	}
	s := job.Spec
	if s.CompletionMode != "Indexed" || s.Completions == nil || s.Parallelism == nil || *s.Parallelism > *s.Completions {
		t.Errorf("want an Indexed Job with parallelism ≤ completions: %+v", s)
	}
	if s.BackoffLimitPerIndex == nil {
		t.Error("no backoffLimitPerIndex: one failing shard would use up every index's retries")
	}
	ignoresDisruption := false
	if s.PodFailurePolicy != nil {
		for _, r := range s.PodFailurePolicy.Rules {
			for _, c := range r.OnPodConditions {
				ignoresDisruption = ignoresDisruption || r.Action == "Ignore" && c.Type == "DisruptionTarget"
			}
		}
	}
	if !ignoresDisruption {
		t.Error("the pod failure policy must Ignore DisruptionTarget, so that evictions do not count as failures")
	}
	pod := s.Template.Spec
	if pod.RestartPolicy != "Never" {
		t.Errorf("restartPolicy %q: backoffLimitPerIndex and podFailurePolicy need Never", pod.RestartPolicy)
	}
	if pod.TerminationGracePeriodSeconds == nil || *pod.TerminationGracePeriodSeconds < 30 {
		t.Error("terminationGracePeriodSeconds should give fluxcore time to stop cleanly")
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	if len(c.Args) < 2 || c.Args[0] != "batch" || c.Args[1] != "fno" {
		t.Errorf("args %v, want batch fno ...", c.Args)
	}
	shards := ""
	for _, e := range c.Env {
		if e.Name == "FLUXCORE_SHARDS" {
			shards = e.Value
		}
	}
	if n, err := strconv.Atoi(shards); err != nil || n != *s.Completions {
		t.Errorf("FLUXCORE_SHARDS = %q, want the completions, %d", shards, *s.Completions)
	}
	checkSharedPaths(t, pod, pvc.Metadata.Name, flagValue(c.Args, "--out-dir"), flagValue(c.Args, "--model"), flagValue(c.Args, "--input"))

	merge := readObjects(t, "k8s/fno-merge-job.yaml")
	if len(merge) != 1 || merge[0].Kind != "Job" {
		t.Fatalf("fno-merge-job.yaml: want one Job, got %+v", merge)
	}
	mpod := merge[0].Spec.Template.Spec
	margs := mpod.Containers[0].Args
	if len(margs) < 2 || margs[0] != "batch" || margs[1] != "merge" || flagValue(margs, "--out-dir") != flagValue(c.Args, "--out-dir") {
		t.Errorf("merge args %v, want batch merge on the shards' --out-dir %q", margs, flagValue(c.Args, "--out-dir"))
	}
	checkSharedPaths(t, mpod, pvc.Metadata.Name, flagValue(margs, "--out-dir"), flagValue(margs, "--output"))
}

// checkSharedPaths checks that each path lies under a mount of the claim.
func checkSharedPaths(t *testing.T, pod podSpec, claim string, paths ...string) {
	t.Helper()
	volumes := map[string]string{}
	for _, v := range pod.Volumes {
		if v.PersistentVolumeClaim != nil {
			volumes[v.Name] = v.PersistentVolumeClaim.ClaimName
		}
	}
	for _, p := range paths {
		shared := false
		for _, m := range pod.Containers[0].VolumeMounts {
			shared = shared || volumes[m.Name] == claim && strings.HasPrefix(p, strings.TrimSuffix(m.MountPath, "/")+"/")
		}
		if p == "" || !shared {
			t.Errorf("path %q is not on the shared claim %q", p, claim)
		}
	}
}

// serveObject is what the serving test reads of a Deployment or a Service.
type serveObject struct {
	Kind string `json:"kind"`
	Spec struct {
		Selector struct {
			MatchLabels map[string]string `json:"matchLabels"`
		} `json:"selector"`
		Template struct {
			Metadata struct {
				Labels map[string]string `json:"labels"`
			} `json:"metadata"`
			Spec struct {
				TerminationGracePeriodSeconds *int `json:"terminationGracePeriodSeconds"`
				Containers                    []struct {
					Args  []string `json:"args"`
					Ports []struct {
						Name          string `json:"name"`
						ContainerPort int    `json:"containerPort"`
					} `json:"ports"`
					ReadinessProbe *probe `json:"readinessProbe"`
					LivenessProbe  *probe `json:"livenessProbe"`
				} `json:"containers"`
			} `json:"spec"`
		} `json:"template"`
		// Service
		Ports []struct {
			Name       string `json:"name"`
			TargetPort string `json:"targetPort"`
		} `json:"ports"`
	} `json:"spec"`
}

type probe struct {
	HTTPGet struct {
		Path string `json:"path"`
		Port string `json:"port"`
	} `json:"httpGet"`
}

// The serving Deployment probes the protocol's health endpoints on the REST port, gives a
// stopping pod longer than fluxcore's drain, and its Service reaches every port by name.
func TestServeDeploymentManifest(t *testing.T) {
	raw, err := os.ReadFile("k8s/serve-deployment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	docs := bytes.Split(raw, []byte("\n---\n"))
	if len(docs) != 2 {
		t.Fatalf("want a Deployment and a Service, got %d documents", len(docs))
	}
	var dep, svc serveObject
	if err := yaml.Unmarshal(docs[0], &dep); err != nil || dep.Kind != "Deployment" {
		t.Fatalf("first document: %v, kind %q", err, dep.Kind)
	}
	if err := yaml.Unmarshal(docs[1], &svc); err != nil || svc.Kind != "Service" {
		t.Fatalf("second document: %v, kind %q", err, svc.Kind)
	}
	pod := dep.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	if len(c.Args) == 0 || c.Args[0] != "serve" || flagValue(c.Args, "--host") != "0.0.0.0" {
		t.Errorf("args %v: want serve listening on every interface", c.Args)
	}
	ports := map[string]string{}
	for _, p := range c.Ports {
		ports[p.Name] = strconv.Itoa(p.ContainerPort)
	}
	for name, flag := range map[string]string{"http": "--http-port", "grpc": "--grpc-port", "metrics": "--metrics-port"} {
		if ports[name] == "" || ports[name] != flagValue(c.Args, flag) {
			t.Errorf("port %s is %q, %s is %q", name, ports[name], flag, flagValue(c.Args, flag))
		}
	}
	if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet.Path != "/v2/health/ready" || c.ReadinessProbe.HTTPGet.Port != "http" {
		t.Errorf("readiness probe %+v, want GET /v2/health/ready on http", c.ReadinessProbe)
	}
	if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet.Path != "/v2/health/live" {
		t.Errorf("liveness probe %+v, want GET /v2/health/live", c.LivenessProbe)
	}
	seconds := func(flag string) int {
		d, err := time.ParseDuration(flagValue(c.Args, flag))
		if err != nil {
			t.Errorf("%s: %v", flag, err)
		}
		return int(d.Seconds())
	}
	drain := seconds("--drain-delay") + seconds("--drain-timeout")
	if g := pod.TerminationGracePeriodSeconds; g == nil || *g <= drain {
		t.Errorf("terminationGracePeriodSeconds %v, want more than drain-delay + drain-timeout = %d s", g, drain)
	}
	for k, v := range dep.Spec.Selector.MatchLabels {
		if dep.Spec.Template.Metadata.Labels[k] != v {
			t.Errorf("the selector's %s=%s does not match the pods' labels", k, v)
		}
	}
	for _, p := range svc.Spec.Ports {
		if ports[p.TargetPort] == "" {
			t.Errorf("service port %s targets %q, which the container does not name", p.Name, p.TargetPort)
		}
	}
	if len(svc.Spec.Ports) != 3 {
		t.Errorf("the Service exposes %d ports, want http, grpc and metrics", len(svc.Spec.Ports))
	}
}

// The image the manifests name is the repository's Dockerfile: its entry point is fluxcore,
// so that each container's args begin with a fluxcore command.
func TestManifestsMatchTheImage(t *testing.T) {
	raw, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `ENTRYPOINT ["/usr/local/bin/fluxcore"]`) || !strings.Contains(string(raw), "docker build -t ghcr.io/fluxcore/fluxcore:latest") {
		t.Error("the Dockerfile's entry point is not fluxcore, or it does not build the image the manifests name")
	}
	for _, path := range []string{"k8s/fno-indexed-job.yaml", "k8s/fno-merge-job.yaml", "k8s/serve-deployment.yaml"} {
		text, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(text), "\n") {
			if image, ok := strings.CutPrefix(strings.TrimSpace(line), "image: "); ok && image != "ghcr.io/fluxcore/fluxcore:latest" {
				t.Errorf("%s names image %s", path, image)
			}
			if args, ok := strings.CutPrefix(strings.TrimSpace(line), "args: ["); ok && !strings.HasPrefix(args, "batch,") && !strings.HasPrefix(args, "serve,") {
				t.Errorf("%s: args [%s do not begin with a fluxcore command", path, args)
			}
		}
	}
}
