"""Python's reflection client (grpcio-reflection, which speaks v1alpha) against a plaintext
ketqua server: lists the services and resolves a method's request type through the server's
descriptors. usage: reflection_client.py HOST:PORT; prints one JSON object."""
import json
import sys

import grpc
from google.protobuf.descriptor_pool import DescriptorPool
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)


def main():
    channel = grpc.insecure_channel(sys.argv[1])
    database = ProtoReflectionDescriptorDatabase(channel)
    services = sorted(database.get_services())
    pool = DescriptorPool(database)
    dossiers = pool.FindServiceByName("ketqua.v1.Dossiers")
    receive = dossiers.FindMethodByName("Receive")
    print(json.dumps({
        "services": services,
        "receive_input": receive.input_type.full_name,
        "receive_fields": [f.name for f in receive.input_type.fields],
    }))


if __name__ == "__main__":
    main()
