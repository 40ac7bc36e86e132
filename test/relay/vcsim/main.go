// vcsim for Fencer's tests: govmomi's vCenter simulator (SOAP at /sdk) on a loopback port.
//
// Built in GOPATH mode against Debian's golang-github-vmware-govmomi-dev (0.24.2), which ships
// the library but no vcsim command. The password comes from VCSIM_PASSWORD (never argv), and
// is set as the service's login user: with the default user the simulator accepts any
// non-empty password, so a wrong-password test would pass for the wrong reason.
//
// On ready it prints one JSON line: {"url", "pid", "vms": [{"name","moref","vmx","powerState"}]}.
package main

import (
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	"github.com/vmware/govmomi/simulator"
)

type vmInfo struct {
	Name       string `json:"name"`
	Moref      string `json:"moref"`
	Vmx        string `json:"vmx"`
	PowerState string `json:"powerState"`
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "host:port to listen on")
	certFile := flag.String("cert", "", "TLS certificate (PEM); plain HTTP when empty")
	keyFile := flag.String("key", "", "TLS private key (PEM)")
	user := flag.String("user", "root", "the only user that may log in")
	esx := flag.Bool("esx", false, "simulate a standalone ESXi host instead of vCenter")
	flag.Parse()

	password := os.Getenv("VCSIM_PASSWORD")
	if password == "" {
		fail("VCSIM_PASSWORD must be set")
	}

	model := simulator.VPX()
	if *esx {
		model = simulator.ESX()
	}
	if err := model.Create(); err != nil {
		fail("model.Create: " + err.Error())
	}
	defer model.Remove()

	model.Service.Listen = &url.URL{Host: *listen, User: url.UserPassword(*user, password)}
	if *certFile != "" {
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			fail("load TLS key pair: " + err.Error())
		}
		model.Service.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	server := model.Service.NewServer()
	defer server.Close()

	u := *server.URL
	u.User = nil
	ready := map[string]interface{}{"url": u.String(), "pid": os.Getpid(), "vms": listVms()}
	line, _ := json.Marshal(ready)
	fmt.Println(string(line))

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
}

func listVms() []vmInfo {
	vms := []vmInfo{}
	for _, entity := range simulator.Map.All("VirtualMachine") {
		vm, ok := entity.(*simulator.VirtualMachine)
		if !ok {
			continue
		}
		info := vmInfo{Name: vm.Name, Moref: vm.Self.Value, PowerState: string(vm.Runtime.PowerState)}
		if vm.Config != nil {
			info.Vmx = vm.Config.Files.VmPathName
		}
		vms = append(vms, info)
	}
	return vms
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, "vcsim: "+message)
	os.Exit(1)
}
