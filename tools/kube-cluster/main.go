// Command kube-cluster runs the upstream Kubernetes control plane from Go modules, one role per process:
//
//	kube-cluster apiserver [flags]           kube-apiserver; with KUBE_CLUSTER_ETCD_DIR set it first starts
//	                                         an embedded single-member etcd on loopback and points at it
//	kube-cluster controller-manager [flags]  kube-controller-manager
//	kube-cluster scheduler [flags]           kube-scheduler
//	kube-cluster etcd [flags]                the etcd CLI
//
// It exists because no prebuilt Kubernetes binary can be downloaded on the project's machines, while the Go
// module proxy serves k8s.io/kubernetes. Test and sandbox use only: it binds to loopback and disables fsync.
package main

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.etcd.io/etcd/server/v3/etcdmain"
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"

	_ "time/tzdata"
)

const usage = "usage: kube-cluster apiserver|controller-manager|scheduler|etcd [flags]"

func main() {
	role := filepath.Base(os.Args[0])
	args := os.Args[1:]
	if role == "kube-cluster" || role == "main" {
		if len(args) == 0 {
			fmt.Fprintln(os.Stderr, usage)
			os.Exit(2)
		}
		role, args = args[0], args[1:]
	}
	// cobra reads os.Args[1:], so drop the role word.
	os.Args = append([]string{"kube-" + role}, args...)

	switch role {
	case "apiserver", "kube-apiserver":
		if dir := os.Getenv("KUBE_CLUSTER_ETCD_DIR"); dir != "" {
			endpoint, err := startEtcd(dir, os.Getenv("KUBE_CLUSTER_ETCD_CLIENT_URL"), os.Getenv("KUBE_CLUSTER_ETCD_PEER_URL"))
			if err != nil {
				fmt.Fprintln(os.Stderr, "kube-cluster: embedded etcd did not start:", err)
				os.Exit(1)
			}
			os.Args = append(os.Args, "--etcd-servers="+endpoint)
		}
		os.Exit(cli.Run(apiserver.NewAPIServerCommand()))
	case "controller-manager", "kube-controller-manager":
		os.Exit(cli.Run(controllermanager.NewControllerManagerCommand()))
	case "scheduler", "kube-scheduler":
		os.Exit(cli.Run(scheduler.NewSchedulerCommand()))
	case "etcd":
		os.Args[0] = "etcd"
		etcdmain.Main(os.Args)
	default:
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
}

// startEtcd runs a single-member etcd inside this process; it stops when the process exits.
func startEtcd(dir, clientURL, peerURL string) (string, error) {
	client, err := url.Parse(clientURL)
	if err != nil || client.Host == "" {
		return "", fmt.Errorf("KUBE_CLUSTER_ETCD_CLIENT_URL %q is not a URL like http://127.0.0.1:2379", clientURL)
	}
	peer, err := url.Parse(peerURL)
	if err != nil || peer.Host == "" {
		return "", fmt.Errorf("KUBE_CLUSTER_ETCD_PEER_URL %q is not a URL like http://127.0.0.1:2380", peerURL)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	cfg := embed.NewConfig()
	cfg.Name = "kube-cluster"
	cfg.Dir = dir
	cfg.UnsafeNoFsync = true // throw-away test data; fsync would dominate start-up on slow disks
	cfg.LogLevel = "error"
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*client}, []url.URL{*client}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*peer}, []url.URL{*peer}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return "", err
	}
	select {
	case <-e.Server.ReadyNotify():
		return client.String(), nil
	case err := <-e.Err():
		return "", err
	case <-time.After(time.Minute):
		e.Close()
		return "", fmt.Errorf("not ready after 1 minute (data folder %s)", dir)
	}
}
