"""The containers room: the built functions in Lambda containers. A Docker engine (`engine`: the
machine's, or a private one started as root), a Lambda base image (`lambda_image`: pulled or built
locally), and `make sam-dev` (`samdev`: `sam local start-api` / `start-lambda` behind the local
front door, with the AWS endpoint and the queue pollers)."""
