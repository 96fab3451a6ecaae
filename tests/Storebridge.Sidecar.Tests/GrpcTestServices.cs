using Dapr.Client.Autogen.Grpc.v1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Storebridge.Sidecar.Tests;

/// <summary>An app's own gRPC API (stand-in for a Storebridge service), hand-bound over a well-known type.</summary>
[BindServiceMethod(typeof(EchoService), nameof(BindService))]
public class EchoService
{
    public static readonly Method<StringValue, StringValue> SayMethod = new(MethodType.Unary, "test.Echo", "Say", Marshaller<StringValue>(), Marshaller<StringValue>());

    public static readonly Method<StringValue, StringValue> CountMethod = new(MethodType.ServerStreaming, "test.Echo", "Count", Marshaller<StringValue>(), Marshaller<StringValue>());

    public static void BindService(ServiceBinderBase binder, EchoService? service)
    {
        binder.AddMethod(SayMethod, (UnaryServerMethod<StringValue, StringValue>)null!);
        binder.AddMethod(CountMethod, (ServerStreamingServerMethod<StringValue, StringValue>)null!);
    }

    public virtual Task<StringValue> Say(StringValue request, ServerCallContext context)
    {
        if (request.Value == "fail")
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, "asked to fail"));
        }

        var token = context.RequestHeaders.GetValue("dapr-api-token") ?? "";
        return Task.FromResult(new StringValue { Value = $"echo:{request.Value}:{token}" });
    }

    public virtual async Task Count(StringValue request, IServerStreamWriter<StringValue> responseStream, ServerCallContext context)
    {
        for (var i = 1; i <= int.Parse(request.Value, System.Globalization.CultureInfo.InvariantCulture); i++)
        {
            await responseStream.WriteAsync(new StringValue { Value = i.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }
    }

    internal static Marshaller<T> Marshaller<T>() where T : class, IMessage<T>, new()
    {
        var parser = new MessageParser<T>(() => new T());
        return Marshallers.Create(m => m.ToByteArray(), parser.ParseFrom);
    }
}

/// <summary>The Dapr app callback for an app with <c>--app-protocol grpc</c>: answers OnInvoke.</summary>
[BindServiceMethod(typeof(AppCallbackService), nameof(BindService))]
public class AppCallbackService
{
    public static void BindService(ServiceBinderBase binder, AppCallbackService? service) =>
        binder.AddMethod(
            new Method<InvokeRequest, InvokeResponse>(MethodType.Unary, "dapr.proto.runtime.v1.AppCallback", "OnInvoke", EchoService.Marshaller<InvokeRequest>(), EchoService.Marshaller<InvokeResponse>()),
            (UnaryServerMethod<InvokeRequest, InvokeResponse>)null!);

    public virtual Task<InvokeResponse> OnInvoke(InvokeRequest request, ServerCallContext context)
    {
        var input = request.Data.Unpack<StringValue>();
        return Task.FromResult(new InvokeResponse { Data = Any.Pack(new StringValue { Value = $"{request.Method}:{input.Value}" }) });
    }
}
