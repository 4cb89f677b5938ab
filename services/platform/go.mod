module go-services/services/platform

go 1.26.0
