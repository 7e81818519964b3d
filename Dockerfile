FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/playpod /usr/local/bin/playpod
WORKDIR /var/lib/playpod
ENV PLAYPOD_BIND=0.0.0.0:8000
EXPOSE 8000
CMD ["playpod"]
