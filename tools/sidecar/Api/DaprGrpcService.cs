using System.Collections.Concurrent;
using Dapr.Client.Autogen.Grpc.v1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Storebridge.Sidecar.Hosting;
using Storebridge.Sidecar.Invocation;
using Storebridge.Sidecar.PubSub;
using Storebridge.Sidecar.Resilience;
using Storebridge.Sidecar.Storage;
using AppCallbackInvoke = Dapr.Client.Autogen.Grpc.v1;

namespace Storebridge.Sidecar.Api;

/// <summary>
/// <c>dapr.proto.runtime.v1.Dapr</c> served over the SDK's own message types. Dapr.Protos ships only client
/// stubs, so the methods are bound by hand in <see cref="BindService"/>; unbound RPCs answer Unimplemented.
/// The handlers are virtual because the ASP.NET Core binder only binds virtual methods of the binding type.
/// </summary>
[BindServiceMethod(typeof(DaprGrpcService), nameof(BindService))]
internal class DaprGrpcService(SidecarRuntime runtime, Publisher publisher, Invoker invoker)
{
    public const string ServiceName = "dapr.proto.runtime.v1.Dapr";

    public static void BindService(ServiceBinderBase binder, DaprGrpcService? service)
    {
        Add<GetStateRequest, GetStateResponse>(binder, nameof(GetState));
        Add<GetBulkStateRequest, GetBulkStateResponse>(binder, nameof(GetBulkState));
        Add<SaveStateRequest, Empty>(binder, nameof(SaveState));
        Add<DeleteStateRequest, Empty>(binder, nameof(DeleteState));
        Add<DeleteBulkStateRequest, Empty>(binder, nameof(DeleteBulkState));
        Add<ExecuteStateTransactionRequest, Empty>(binder, nameof(ExecuteStateTransaction));
        Add<PublishEventRequest, Empty>(binder, nameof(PublishEvent));
        Add<BulkPublishRequest, BulkPublishResponse>(binder, nameof(BulkPublishEvent));
        Add<BulkPublishRequest, BulkPublishResponse>(binder, nameof(BulkPublishEventAlpha1));
        Add<InvokeServiceRequest, InvokeResponse>(binder, nameof(InvokeService));
        Add<GetSecretRequest, GetSecretResponse>(binder, nameof(GetSecret));
        Add<GetBulkSecretRequest, GetBulkSecretResponse>(binder, nameof(GetBulkSecret));
        Add<GetMetadataRequest, GetMetadataResponse>(binder, nameof(GetMetadata));
        Add<SetMetadataRequest, Empty>(binder, nameof(SetMetadata));
    }

    private static void Add<TReq, TRes>(ServiceBinderBase binder, string name)
        where TReq : class, IMessage<TReq>, new()
        where TRes : class, IMessage<TRes>, new() =>
        // The ASP.NET Core binder ignores the handler and binds the public method with the RPC's name.
        binder.AddMethod(Method<TReq, TRes>(name), (UnaryServerMethod<TReq, TRes>)null!);

    /// <summary>The method descriptor of one RPC of the Dapr service.</summary>
    public static Method<TReq, TRes> Method<TReq, TRes>(string name)
        where TReq : class, IMessage<TReq>, new()
        where TRes : class, IMessage<TRes>, new() =>
        new(MethodType.Unary, ServiceName, name, Marshaller<TReq>(), Marshaller<TRes>());

    private static Marshaller<T> Marshaller<T>() where T : class, IMessage<T>, new()
    {
        var parser = new MessageParser<T>(() => new T());
        return Marshallers.Create(m => m.ToByteArray(), parser.ParseFrom);
    }

    // ------------------------------------------------------------------ state

    public virtual Task<GetStateResponse> GetState(GetStateRequest request, ServerCallContext context)
    {
        RequireStore(request.StoreName);
        var entry = runtime.ReadState(request.Key);
        var response = new GetStateResponse();
        if (entry is not null)
        {
            response.Data = ByteString.CopyFrom(entry.Value);
            response.Etag = entry.ETag;
            if (entry.ExpiresAt is { } expiresAt)
            {
                response.Metadata[StateTtl.ExpireTimeKey] = StateTtl.Format(expiresAt);
            }
        }

        return Task.FromResult(response);
    }

    public virtual Task<GetBulkStateResponse> GetBulkState(GetBulkStateRequest request, ServerCallContext context)
    {
        RequireStore(request.StoreName);
        var response = new GetBulkStateResponse();
        foreach (var key in request.Keys)
        {
            var entry = runtime.ReadState(key);
            var item = new BulkStateItem { Key = key };
            if (entry is not null)
            {
                item.Data = ByteString.CopyFrom(entry.Value);
                item.Etag = entry.ETag;
                if (entry.ExpiresAt is { } expiresAt)
                {
                    item.Metadata[StateTtl.ExpireTimeKey] = StateTtl.Format(expiresAt);
                }
            }

            response.Items.Add(item);
        }

        return Task.FromResult(response);
    }

    public virtual async Task<Empty> SaveState(SaveStateRequest request, ServerCallContext context)
    {
        RequireStore(request.StoreName);
        List<StateWrite> writes;
        try
        {
            writes = request.States.Select(s => ToWrite(s, delete: false)).ToList();
        }
        catch (InvalidTtlException ex)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"failed saving state in state store {request.StoreName}: {ex.Message}"));
        }

        await WriteAsync(request.StoreName, writes, "saving", context.CancellationToken).ConfigureAwait(false);
        return new Empty();
    }

    public virtual async Task<Empty> DeleteState(DeleteStateRequest request, ServerCallContext context)
    {
        RequireStore(request.StoreName);
        var write = new StateWrite(runtime.StateKey(request.Key), null, request.Etag?.Value, false);
        await WriteAsync(request.StoreName, [write], "deleting", context.CancellationToken).ConfigureAwait(false);
        return new Empty();
    }

    public virtual async Task<Empty> DeleteBulkState(DeleteBulkStateRequest request, ServerCallContext context)
    {
        RequireStore(request.StoreName);
        await WriteAsync(request.StoreName, request.States.Select(s => ToWrite(s, delete: true)).ToList(), "deleting", context.CancellationToken).ConfigureAwait(false);
        return new Empty();
    }

    public virtual async Task<Empty> ExecuteStateTransaction(ExecuteStateTransactionRequest request, ServerCallContext context)
    {
        RequireStore(request.StoreName);
        var writes = new List<StateWrite>();
        foreach (var op in request.Operations)
        {
            var delete = op.OperationType switch
            {
                "upsert" => false,
                "delete" => true,
                _ => throw new RpcException(new Status(StatusCode.Unimplemented, $"operation type {op.OperationType} not supported")),
            };
            try
            {
                writes.Add(ToWrite(op.Request, delete, request.Metadata));
            }
            catch (InvalidTtlException ex)
            {
                throw new RpcException(new Status(StatusCode.Internal, $"error while executing state transaction: {ex.Message}"));
            }
        }

        await WriteAsync(request.StoreName, writes, "executing transaction on", context.CancellationToken).ConfigureAwait(false);
        return new Empty();
    }

    // A transaction's request metadata applies to every operation that does not set the key itself.
    private StateWrite ToWrite(StateItem item, bool delete, IReadOnlyDictionary<string, string>? requestMetadata = null) =>
        new(runtime.StateKey(item.Key), delete ? null : item.Value.ToByteArray(), item.Etag?.Value,
            item.Options?.Concurrency == StateOptions.Types.StateConcurrency.ConcurrencyFirstWrite,
            item.Metadata.TryGetValue("contentType", out var ct) ? ct : null,
            delete ? null : StateTtl.Parse(item.Metadata.TryGetValue(StateTtl.RequestKey, out var ttl) ? ttl : requestMetadata?.GetValueOrDefault(StateTtl.RequestKey)));

    private async Task WriteAsync(string store, IReadOnlyList<StateWrite> writes, string verb, CancellationToken ct)
    {
        try
        {
            await runtime.WriteStateAsync(store, writes, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is CircuitOpenException or PolicyTimeoutException)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"failed {verb} state in state store {store}: {ex.Message}"));
        }
        catch (ETagMismatchException ex)
        {
            throw new RpcException(new Status(StatusCode.Aborted, $"failed {verb} state with key {ex.Key[(runtime.AppId.Length + 2)..]}: possible etag mismatch. error from state store: etag mismatch"));
        }
    }

    private void RequireStore(string name)
    {
        if (!runtime.HasStateStore(name))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"state store {name} is not found"));
        }
    }

    // ------------------------------------------------------------------ pub/sub

    public virtual async Task<Empty> PublishEvent(PublishEventRequest request, ServerCallContext context)
    {
        var item = new PublishItem(request.Data.ToByteArray(), request.DataContentType, request.Metadata);
        await PublishAsync(request.PubsubName, request.Topic, [item], context).ConfigureAwait(false);
        return new Empty();
    }

    public virtual async Task<BulkPublishResponse> BulkPublishEvent(BulkPublishRequest request, ServerCallContext context)
    {
        var items = request.Entries.Select(e =>
        {
            var metadata = new Dictionary<string, string>(request.Metadata, StringComparer.Ordinal);
            foreach (var (k, v) in e.Metadata)
            {
                metadata[k] = v;
            }

            return new PublishItem(e.Event.ToByteArray(), e.ContentType, metadata);
        }).ToList();
        await PublishAsync(request.PubsubName, request.Topic, items, context).ConfigureAwait(false);
        return new BulkPublishResponse();
    }

    public virtual Task<BulkPublishResponse> BulkPublishEventAlpha1(BulkPublishRequest request, ServerCallContext context) => BulkPublishEvent(request, context);

    private async Task PublishAsync(string pubsub, string topic, IReadOnlyList<PublishItem> items, ServerCallContext context)
    {
        try
        {
            await publisher.PublishAsync(pubsub, topic, items, context.RequestHeaders.GetValue("traceparent"), context.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is CircuitOpenException or PolicyTimeoutException)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"error when publish to topic {topic} in pubsub {pubsub}: {ex.Message}"));
        }
        catch (PubSubNotFoundException ex)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, ex.Message));
        }
        catch (BadPublishException ex)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, ex.Message));
        }
    }

    // ------------------------------------------------------------------ invocation

    public virtual Task<InvokeResponse> InvokeService(InvokeServiceRequest request, ServerCallContext context) =>
        invoker.InvokeGrpcAsync(request, context);

    // ------------------------------------------------------------------ secrets

    public virtual Task<GetSecretResponse> GetSecret(GetSecretRequest request, ServerCallContext context)
    {
        var store = runtime.SecretStore(request.StoreName) ?? throw new RpcException(new Status(StatusCode.InvalidArgument, $"failed finding secret store with key {request.StoreName}"));
        var secret = store.Get(request.Key) ?? throw new RpcException(new Status(StatusCode.Internal, $"failed getting secret with key {request.Key} from secret store {request.StoreName}: secret not found"));
        var response = new GetSecretResponse();
        foreach (var (k, v) in secret)
        {
            response.Data[k] = v;
        }
        return Task.FromResult(response);
    }

    public virtual Task<GetBulkSecretResponse> GetBulkSecret(GetBulkSecretRequest request, ServerCallContext context)
    {
        var store = runtime.SecretStore(request.StoreName) ?? throw new RpcException(new Status(StatusCode.InvalidArgument, $"failed finding secret store with key {request.StoreName}"));
        var response = new GetBulkSecretResponse();
        foreach (var (name, values) in store.GetAll())
        {
            var item = new SecretResponse();
            foreach (var (k, v) in values)
            {
                item.Secrets[k] = v;
            }
            response.Data[name] = item;
        }

        return Task.FromResult(response);
    }

    // ------------------------------------------------------------------ metadata

    public virtual Task<GetMetadataResponse> GetMetadata(GetMetadataRequest request, ServerCallContext context)
    {
        var response = new GetMetadataResponse
        {
            Id = runtime.AppId,
            RuntimeVersion = MetadataView.RuntimeVersion,
            AppConnectionProperties = new AppConnectionProperties
            {
                Port = runtime.Options.AppPort ?? 0,
                Protocol = runtime.Options.AppProtocol,
                ChannelAddress = runtime.Options.AppHost,
            },
        };
        response.ExtendedMetadata.Add(runtime.ExtendedMetadata);
        foreach (var c in runtime.Components)
        {
            response.RegisteredComponents.Add(new RegisteredComponents { Name = c.Name, Type = c.Type, Version = "v1" });
        }

        foreach (var (spec, declarative) in runtime.Subscriptions)
        {
            var sub = new PubsubSubscription
            {
                PubsubName = spec.PubSubName,
                Topic = spec.Topic,
                DeadLetterTopic = spec.DeadLetterTopic ?? "",
                Type = declarative ? PubsubSubscriptionType.Declarative : PubsubSubscriptionType.Programmatic,
                Rules = new PubsubSubscriptionRules(),
            };
            foreach (var (k, v) in spec.Metadata)
            {
                sub.Metadata[k] = v;
            }
            foreach (var rule in spec.Rules)
            {
                sub.Rules.Rules.Add(new PubsubSubscriptionRule { Match = rule.Match, Path = rule.Path });
            }

            if (spec.DefaultRoute is { } route)
            {
                sub.Rules.Rules.Add(new PubsubSubscriptionRule { Path = route });
            }

            response.Subscriptions.Add(sub);
        }

        return Task.FromResult(response);
    }

    public virtual Task<Empty> SetMetadata(SetMetadataRequest request, ServerCallContext context)
    {
        runtime.ExtendedMetadata[request.Key] = request.Value;
        return Task.FromResult(new Empty());
    }
}
