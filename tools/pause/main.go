// Command pause is the process that holds a pod's namespaces in the test cluster: it sleeps
// until SIGTERM or SIGINT and then exits 0, as the kubelet's sandbox image does.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
}
