using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;

namespace Storebridge.Contracts.Tests;

public class EventRoundTripTests
{
    public static TheoryData<string> AllEventTypes() => new(EventCatalog.All.Select(e => e.CloudEventType));

    [Theory]
    [MemberData(nameof(AllEventTypes))]
    public void Every_event_survives_protobuf_json_round_trip_with_every_field_set(string cloudEventType)
    {
        var definition = EventCatalog.ForCloudEventType(cloudEventType)!;
        var original = SampleMessages.Filled(definition.Descriptor);

        var json = EventJson.Format(original);
        var parsed = EventJson.Parse(definition, json);

        Assert.Equal(original, parsed);
        // Every field was set, so a field the JSON mapping dropped would make the two differ above; also check names.
        foreach (var field in definition.Descriptor.Fields.InFieldNumberOrder())
        {
            Assert.Contains($"\"{field.JsonName}\"", json, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(AllEventTypes))]
    public void Every_event_survives_binary_round_trip(string cloudEventType)
    {
        var definition = EventCatalog.ForCloudEventType(cloudEventType)!;
        var original = SampleMessages.Filled(definition.Descriptor);

        var parsed = definition.Descriptor.Parser.ParseFrom(original.ToByteArray());

        Assert.Equal(original, parsed);
    }

    [Fact]
    public void Every_message_declared_in_an_events_proto_is_in_the_catalog()
    {
        var declared = EventCatalog.All
            .Select(e => e.Descriptor.File)
            .Distinct()
            .SelectMany(file => file.MessageTypes)
            .Select(m => m.FullName)
            .Order();

        Assert.Equal(declared, EventCatalog.All.Select(e => e.CloudEventType).Order());
        Assert.All(EventCatalog.All, e => Assert.EndsWith("/events.proto", e.Descriptor.File.Name, StringComparison.Ordinal));
    }

    [Fact]
    public void Cloud_event_type_carries_the_schema_version()
    {
        var definition = EventCatalog.For<Orders.V1.OrderConfirmed>();

        Assert.Equal("storebridge.orders.v1.OrderConfirmed", definition.CloudEventType);
        Assert.Equal(Topics.OrdersConfirmed, definition.Topic);
        Assert.Same(definition, EventCatalog.ForTopic(Topics.OrdersConfirmed));
    }

    [Fact]
    public void A_subscriber_ignores_fields_a_newer_publisher_added()
    {
        const string json = """{"orderRef":"s1-42","reasonCode":"stock-short","addedInV1_1":"x"}""";

        var parsed = EventJson.Parse<Orders.V1.OrderOnHold>(json);

        Assert.Equal("s1-42", parsed.OrderRef);
        Assert.Equal("stock-short", parsed.ReasonCode);
    }

    [Fact]
    public void Money_and_timestamps_use_the_protobuf_json_mapping()
    {
        var paid = new Orders.V1.OrderPaid
        {
            OrderRef = "s1-42",
            Payment = new Orders.V1.PaymentInfo { Paid = true, PaidAt = Timestamp.FromDateTime(new DateTime(2026, 11, 27, 9, 30, 0, DateTimeKind.Utc)) },
        };

        var json = EventJson.Format(paid);

        Assert.Contains("\"paidAt\": \"2026-11-27T09:30:00Z\"", json, StringComparison.Ordinal);
    }
}

/// <summary>Builds messages with every field set to a non-default value, recursively.</summary>
internal static class SampleMessages
{
    public static IMessage Filled(MessageDescriptor descriptor, int depth = 0)
    {
        var message = descriptor.Parser.ParseFrom(ByteString.Empty);
        if (descriptor.FullName == Timestamp.Descriptor.FullName)
        {
            return Timestamp.FromDateTime(new DateTime(2026, 11, 27, 8, 0, 0, DateTimeKind.Utc).AddMinutes(depth));
        }

        if (descriptor.FullName == Duration.Descriptor.FullName)
        {
            return Duration.FromTimeSpan(TimeSpan.FromMinutes(15));
        }

        foreach (var field in descriptor.Fields.InFieldNumberOrder())
        {
            var accessor = field.Accessor;
            if (field.IsMap)
            {
                var map = (System.Collections.IDictionary)accessor.GetValue(message);
                map.Add($"key-{field.Name}", $"value-{field.Name}");
            }
            else if (field.IsRepeated)
            {
                var list = (System.Collections.IList)accessor.GetValue(message);
                list.Add(Value(field, depth));
                list.Add(Value(field, depth + 1));
            }
            else
            {
                accessor.SetValue(message, Value(field, depth));
            }
        }

        return message;
    }

    private static object Value(FieldDescriptor field, int depth) => field.FieldType switch
    {
        FieldType.String => $"{field.Name}-{depth}",
        FieldType.Bool => true,
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => 7 + depth,
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => 9_000_000_000L + depth,
        FieldType.UInt32 or FieldType.Fixed32 => 7u + (uint)depth,
        FieldType.UInt64 or FieldType.Fixed64 => 9_000_000_000UL + (ulong)depth,
        FieldType.Double => 1.5 + depth,
        FieldType.Float => 2.5f + depth,
        FieldType.Bytes => ByteString.CopyFromUtf8(field.Name),
        // The last value, never the zero "unspecified" one.
        FieldType.Enum => field.EnumType.Values[^1].Number,
        FieldType.Message => Filled(field.MessageType, depth + 1),
        _ => throw new NotSupportedException(field.FieldType.ToString()),
    };
}
