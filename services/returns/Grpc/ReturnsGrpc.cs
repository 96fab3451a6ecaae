using Storebridge.Contracts.Returns.V1;

namespace Storebridge.Returns.Grpc;

/// <summary>
/// The returns service's gRPC API. Methods not overridden here answer <c>Unimplemented</c>; they arrive with
/// the returns issue: RequestReturn and GetReturn.
/// </summary>
public sealed class ReturnsGrpc : ReturnsService.ReturnsServiceBase;
