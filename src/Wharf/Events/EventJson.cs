using System.Text.Json.Serialization;

namespace Wharf.Events;

// Distribution's event format (the field names of its notifications/event.go), so receivers
// written for registry:2 read Wharf's events unchanged. An envelope is {"events":[...]}; the
// dispatcher strings stored events together, so only one event is ever serialized here.

internal sealed record NotificationEvent(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("timestamp")] DateTimeOffset Timestamp,
    [property: JsonPropertyName("action")] string Action,
    [property: JsonPropertyName("target")] EventTarget Target,
    [property: JsonPropertyName("request")] EventRequest Request,
    [property: JsonPropertyName("actor")] EventActor Actor,
    [property: JsonPropertyName("source")] EventSource Source);

internal sealed record EventTarget(
    [property: JsonPropertyName("mediaType"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? MediaType,
    [property: JsonPropertyName("digest"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Digest,
    [property: JsonPropertyName("size"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Size,
    [property: JsonPropertyName("length"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Length,
    [property: JsonPropertyName("repository")] string Repository,
    [property: JsonPropertyName("fromRepository"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? FromRepository,
    [property: JsonPropertyName("url"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Url,
    [property: JsonPropertyName("tag"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Tag);

internal sealed record EventRequest(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("addr")] string Addr,
    [property: JsonPropertyName("host")] string Host,
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("useragent")] string UserAgent);

/// <summary>Distribution leaves out an empty name; Wharf writes "" so that every receiver finds the field.</summary>
internal sealed record EventActor(
    [property: JsonPropertyName("name")] string Name);

internal sealed record EventSource(
    [property: JsonPropertyName("addr")] string Addr,
    [property: JsonPropertyName("instanceID")] string InstanceId);

/// <summary>Source-generated serialisation of events (no reflection: the server is Native AOT).</summary>
[JsonSerializable(typeof(NotificationEvent))]
internal sealed partial class EventJson : JsonSerializerContext;
