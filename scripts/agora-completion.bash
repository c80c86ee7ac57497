# bash completion for agora. Generated from the CLI's command table
# (src/cli/command_specs.cpp): do not edit; regenerate with
#   agora completion > scripts/agora-completion.bash
# Install: copy to /etc/bash_completion.d/agora, or: source <(agora completion)
_agora() {
  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"
  local cmd="" opts="" i w
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="${COMP_WORDS[i]}"
    case "$w" in -*) continue ;; esac
    case "${COMP_WORDS[i-1]}" in --master|--framework|--agent|--state|--guarantee|--limit|--grace|--types|--tail|--command|--name|--cpus|--mem|--instances|--role|--timeout|--health-cmd|--health-tcp|--health-http) continue ;; esac
    if [[ -z "$cmd" ]]; then cmd="$w"
    elif [[ "$cmd" != *" "* ]]; then
      case "$cmd" in quota|weights) cmd="$cmd $w" ;; esac
    fi
  done
  case "$prev" in --master|--framework|--agent|--state|--guarantee|--limit|--grace|--types|--tail|--command|--name|--cpus|--mem|--instances|--role|--timeout|--health-cmd|--health-tcp|--health-http) return 0 ;; esac
  case "$cmd" in
    "") COMPREPLY=($(compgen -W "cluster agents agent frameworks framework tasks task offers roles quota weights drain deactivate reactivate mark-gone teardown kill watch logs run completion --master --help" -- "$cur")); return 0 ;;
    quota) COMPREPLY=($(compgen -W "get set remove --help" -- "$cur")); return 0 ;;
    weights) COMPREPLY=($(compgen -W "get set --help" -- "$cur")); return 0 ;;
    "cluster") opts="--json --master --help" ;;
    "agents") opts="--json --master --help" ;;
    "agent") opts="--json --master --help" ;;
    "frameworks") opts="--json --master --help" ;;
    "framework") opts="--json --master --help" ;;
    "tasks") opts="--all --active --framework --agent --state --json --master --help" ;;
    "task") opts="--framework --json --master --help" ;;
    "offers") opts="--json --master --help" ;;
    "roles") opts="--json --master --help" ;;
    "quota get") opts="--json --master --help" ;;
    "quota set") opts="--guarantee --limit --force --master --help" ;;
    "quota remove") opts="--master --help" ;;
    "weights get") opts="--json --master --help" ;;
    "weights set") opts="--master --help" ;;
    "drain") opts="--grace --mark-gone --master --help" ;;
    "deactivate") opts="--master --help" ;;
    "reactivate") opts="--master --help" ;;
    "mark-gone") opts="--yes --master --help" ;;
    "teardown") opts="--master --help" ;;
    "kill") opts="--framework --grace --master --help" ;;
    "watch") opts="--types --json --master --help" ;;
    "logs") opts="--stderr -f --follow --tail --master --help" ;;
    "run") opts="--command --name --cpus --mem --instances --role --timeout --health-cmd --health-tcp --health-http --master --help" ;;
    "completion") opts="--master --help" ;;
    *) return 0 ;;
  esac
  [[ "$cur" == -* ]] && COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  return 0
}
complete -F _agora agora
